"""One conversation's page table and counters, its checkpoint form, and spilling idle sessions."""
