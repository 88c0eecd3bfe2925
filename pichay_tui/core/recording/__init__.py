"""Recordings, importers of foreign session files, and replaying them frame by frame."""
