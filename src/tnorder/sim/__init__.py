"""The simulated carrier world, behind the sandbox carrier and `tnorder sim serve`."""
