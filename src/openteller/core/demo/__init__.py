"""The demo bank: realistic customers and months of activity, posted through the ledger."""
