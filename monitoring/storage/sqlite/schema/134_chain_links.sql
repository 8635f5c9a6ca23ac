-- The global chain over delivered objects' manifests (monitoring/archive/manifest.py): one link per object.
-- It replaces the per-MN segments and the delivered-object digests, which nothing reads any more.
CREATE TABLE IF NOT EXISTS chain_link (
    seq INTEGER PRIMARY KEY,
    body TEXT NOT NULL
);
DROP TABLE IF EXISTS chain_segment;
DROP TABLE IF EXISTS delivered_object;
