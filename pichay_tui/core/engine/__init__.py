"""The engine facade the proxy, the UI, the recorder and replay all drive."""
