"""kodomo-dash: child data linkage and push-support dashboard for Japanese cities."""

__version__ = "0.1.0"
