"""The organisation plan: the chat at a team's shape — many small rooms and direct messages,
each person in several — at growing numbers of rooms, for the backend and the Socket.IO peer."""
