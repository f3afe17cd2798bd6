"""CPU-heavy steps run off the event loop, in a worker process with a time cap."""
