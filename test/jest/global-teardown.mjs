// Stops the embedded Postgres servers of global-setup.mjs (they also exit on their own if Jest dies).
export default async function globalTeardown() {
  const children = globalThis.peerkeysEmbeddedPostgres ?? [];
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', resolve);
          child.disconnect();
        }),
    ),
  );
}
