"""tnorder: order telephone numbers (DIDs) from carriers and keep their inventory.

Importing this package stays cheap: SQLModel, SQLAlchemy and httpx load only in the code paths
that need them.
"""

__version__ = "0.1.0"
