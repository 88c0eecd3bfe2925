"""Bytes on the wire: SSE decoding/encoding, stream interception, request-body splicing (sans-io)."""
