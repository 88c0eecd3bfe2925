"""The core's vocabulary: pages, content blocks, handles, token counts, configuration, the backing store."""
