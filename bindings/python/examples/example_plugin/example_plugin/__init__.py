"""The tutorial's example plugin package."""
