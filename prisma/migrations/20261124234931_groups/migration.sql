-- CreateTable
CREATE TABLE "groups" (
    "group_id" TEXT NOT NULL,
    "head_index" BIGINT NOT NULL,
    "head_hash" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "name" TEXT NOT NULL,

    CONSTRAINT "groups_pkey" PRIMARY KEY ("group_id")
);

-- CreateTable
CREATE TABLE "group_records" (
    "log_index" BIGINT NOT NULL,
    "group_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "hash" TEXT NOT NULL,
    "prev_hash" TEXT,
    "admin_id" TEXT NOT NULL,
    "signer" TEXT NOT NULL,

    CONSTRAINT "group_records_pkey" PRIMARY KEY ("log_index")
);

-- CreateTable
CREATE TABLE "group_members" (
    "group_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "public_key" TEXT NOT NULL,
    "public_box_key" TEXT NOT NULL,

    CONSTRAINT "group_members_pkey" PRIMARY KEY ("group_id","user_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "groups_head_index_key" ON "groups"("head_index");

-- CreateIndex
CREATE UNIQUE INDEX "group_records_hash_key" ON "group_records"("hash");

-- CreateIndex
CREATE UNIQUE INDEX "group_records_group_id_seq_key" ON "group_records"("group_id", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "group_records_group_id_prev_hash_key" ON "group_records"("group_id", "prev_hash");

-- CreateIndex
CREATE INDEX "group_members_user_id_idx" ON "group_members"("user_id");

-- AddForeignKey
ALTER TABLE "group_records" ADD CONSTRAINT "group_records_log_index_fkey" FOREIGN KEY ("log_index") REFERENCES "log_entries"("index") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "group_records" ADD CONSTRAINT "group_records_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "groups"("group_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "groups"("group_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written below this line (Prisma's schema language cannot say it).
-- A group record is a genesis (seq 0, no prev) or a successor (seq > 0, a prev), as in identity_records.
ALTER TABLE "group_records" ADD CONSTRAINT "group_records_genesis_shape" CHECK ("seq" >= 0 AND ("seq" = 0) = ("prev_hash" IS NULL));
ALTER TABLE "groups" ADD CONSTRAINT "groups_seq_nonnegative" CHECK ("seq" >= 0);
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_role" CHECK ("role" IN ('reader', 'writer', 'admin', 'owner', 'founder'));
