/**
 * The site's icon, served as /favicon.ico: a key, drawn here as a 16×16 bitmap and encoded as an
 * ICO file holding it at 16×16 and 32×32 (browsers ask for /favicon.ico beside every page, and the
 * lookup page and /docs would otherwise log a 404 for each visit). Built in code, like the
 * stylesheets, because the build ships only compiled code in dist/.
 *
 * ICO layout (one ICONDIR, one ICONDIRENTRY per image, then each image as a BMP without its file
 * header: a BITMAPINFOHEADER whose height counts the colour rows and the mask rows, 32-bit BGRA
 * rows bottom-up, then a 1-bit AND mask, each row padded to 4 bytes).
 */

const KEY = [
  '................',
  '.....######.....',
  '....########....',
  '...###....###...',
  '...##......##...',
  '...##......##...',
  '...###....###...',
  '....########....',
  '.....######.....',
  '.......##.......',
  '.......##.......',
  '.......#####....',
  '.......##.......',
  '.......####.....',
  '.......##.......',
  '................',
];

/** The key's colour: the blue of /docs' links, opaque. */
const INK = { r: 0x0b, g: 0x5c, b: 0xad };

function bitmap(scale: number): Buffer {
  const size = KEY.length * scale;
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0); // biSize
  header.writeInt32LE(size, 4); // width
  header.writeInt32LE(size * 2, 8); // height: colour rows and mask rows
  header.writeUInt16LE(1, 12); // planes
  header.writeUInt16LE(32, 14); // bits per pixel
  const pixels = Buffer.alloc(size * size * 4);
  const maskRow = Math.ceil(size / 32) * 4;
  const mask = Buffer.alloc(maskRow * size); // all zero: every pixel drawn, alpha decides
  for (let y = 0; y < size; y++) {
    const row = KEY[Math.floor(y / scale)]!;
    for (let x = 0; x < size; x++) {
      if (row[Math.floor(x / scale)] !== '#') continue;
      const at = ((size - 1 - y) * size + x) * 4; // bottom-up
      pixels[at] = INK.b;
      pixels[at + 1] = INK.g;
      pixels[at + 2] = INK.r;
      pixels[at + 3] = 0xff;
    }
  }
  return Buffer.concat([header, pixels, mask]);
}

function ico(images: Buffer[], sizes: number[]): Buffer {
  const directory = Buffer.alloc(6 + 16 * images.length);
  directory.writeUInt16LE(0, 0); // reserved
  directory.writeUInt16LE(1, 2); // type: icon
  directory.writeUInt16LE(images.length, 4);
  let offset = directory.length;
  images.forEach((image, i) => {
    const entry = 6 + 16 * i;
    directory.writeUInt8(sizes[i]! % 256, entry); // width (0 would mean 256)
    directory.writeUInt8(sizes[i]! % 256, entry + 1); // height
    directory.writeUInt16LE(1, entry + 4); // colour planes
    directory.writeUInt16LE(32, entry + 6); // bits per pixel
    directory.writeUInt32LE(image.length, entry + 8);
    directory.writeUInt32LE(offset, entry + 12);
    offset += image.length;
  });
  return Buffer.concat([directory, ...images]);
}

/** The bytes of /favicon.ico. */
export function favicon(): Buffer {
  return ico([bitmap(1), bitmap(2)], [16, 32]);
}
