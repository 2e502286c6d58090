"""What the chat keeps: Redis, its keys and scripts, and the records on it (accounts, rooms,
messages, read positions). Imports nothing of realtime/ or http/."""
