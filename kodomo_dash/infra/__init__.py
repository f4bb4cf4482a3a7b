"""Infrastructure shared by every layer that writes: the one transaction idiom (``transaction``)."""
