"""The port the chat's Redis listens on, whichever flavour a stack runs: the in-cluster
StatefulSet (components/k8s/redis.py) or ElastiCache (components/aws/elasticache.py)."""

REDIS_PORT = 6379
