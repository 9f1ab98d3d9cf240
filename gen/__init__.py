"""trampgen: generate fault trampolines and context stubs from declarative ABI specs."""
