"""The model's side of paging: phantom memory tools and <memory_cleanup> operations."""
