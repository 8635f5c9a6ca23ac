"""Where photo bytes are kept: a directory (local mode) or S3 (AWS). Keys are checked photo ids, never names."""
