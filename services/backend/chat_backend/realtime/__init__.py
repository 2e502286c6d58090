"""This worker's WebSockets: their frames, the delivery of what the store holds to them
(tails, presence, notices, activity) and the hub that owns them. Imports store/, never http/."""
