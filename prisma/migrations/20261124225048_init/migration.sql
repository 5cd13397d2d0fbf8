-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "log_state" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "size" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "log_state_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "log_entries" (
    "index" BIGINT NOT NULL,
    "kind" TEXT NOT NULL,
    "accepted_at" TIMESTAMPTZ(3) NOT NULL,
    "record" TEXT NOT NULL,

    CONSTRAINT "log_entries_pkey" PRIMARY KEY ("index")
);

-- CreateTable
CREATE TABLE "log_nodes" (
    "level" SMALLINT NOT NULL,
    "index" BIGINT NOT NULL,
    "hash" BYTEA NOT NULL,

    CONSTRAINT "log_nodes_pkey" PRIMARY KEY ("level","index")
);

-- CreateTable
CREATE TABLE "log_checkpoints" (
    "size" BIGINT NOT NULL,
    "root" BYTEA NOT NULL,
    "note" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "log_checkpoints_pkey" PRIMARY KEY ("size")
);

-- CreateTable
CREATE TABLE "identities" (
    "user_id" TEXT NOT NULL,
    "head_index" BIGINT NOT NULL,
    "head_hash" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "public_key" TEXT NOT NULL,

    CONSTRAINT "identities_pkey" PRIMARY KEY ("user_id")
);

-- CreateTable
CREATE TABLE "identity_records" (
    "log_index" BIGINT NOT NULL,
    "user_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "hash" TEXT NOT NULL,
    "prev_hash" TEXT,
    "live_seq" INTEGER,
    "live_prev" TEXT,
    "nullified_by" BIGINT,

    CONSTRAINT "identity_records_pkey" PRIMARY KEY ("log_index")
);

-- CreateTable
CREATE TABLE "devices" (
    "user_id" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "record" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "signer" TEXT NOT NULL,

    CONSTRAINT "devices_pkey" PRIMARY KEY ("user_id","device_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "identities_head_index_key" ON "identities"("head_index");

-- CreateIndex
CREATE UNIQUE INDEX "identity_records_hash_key" ON "identity_records"("hash");

-- CreateIndex
CREATE INDEX "identity_records_user_id_seq_idx" ON "identity_records"("user_id", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "identity_records_user_id_live_seq_key" ON "identity_records"("user_id", "live_seq");

-- CreateIndex
CREATE UNIQUE INDEX "identity_records_user_id_live_prev_key" ON "identity_records"("user_id", "live_prev");

-- AddForeignKey
ALTER TABLE "identity_records" ADD CONSTRAINT "identity_records_log_index_fkey" FOREIGN KEY ("log_index") REFERENCES "log_entries"("index") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "identity_records" ADD CONSTRAINT "identity_records_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "identities"("user_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "devices" ADD CONSTRAINT "devices_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "identities"("user_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written below this line (Prisma's schema language cannot say it).
-- The sequencer row: exactly one, starting with an empty log.
ALTER TABLE "log_state" ADD CONSTRAINT "log_state_single_row" CHECK ("id" = 1);
ALTER TABLE "log_state" ADD CONSTRAINT "log_state_size_nonnegative" CHECK ("size" >= 0);
INSERT INTO "log_state" ("id", "size") VALUES (1, 0);
ALTER TABLE "log_entries" ADD CONSTRAINT "log_entries_kind" CHECK ("kind" IN ('identity', 'group'));
ALTER TABLE "log_entries" ADD CONSTRAINT "log_entries_index_nonnegative" CHECK ("index" >= 0);
-- live_seq/live_prev either repeat seq/prev (a live record) or are both gone (nullified).
ALTER TABLE "identity_records" ADD CONSTRAINT "identity_records_live_or_nullified" CHECK (
  ("nullified_by" IS NULL AND "live_seq" = "seq" AND "live_prev" IS NOT DISTINCT FROM "prev_hash")
  OR ("nullified_by" IS NOT NULL AND "live_seq" IS NULL AND "live_prev" IS NULL)
);
