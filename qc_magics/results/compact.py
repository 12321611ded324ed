"""A list as a DataFrame that shows compact: every column is there, the display is the view.

A notebook's `%qc backtests` holds every field the service sent (30 columns and more), but a
person reads name, created, status and the key statistics. A DataFrame subclass keeps the data
whole, so `bts["sharpe_ratio"]`, `bts.loc[id]` and `bts.columns` work as on any frame, and only
how it displays changes. Anything derived from it (a selection, a copy, a sort) is a plain
DataFrame again, shown as pandas shows frames.

>>> bts = CompactFrame(backtests_frame(client, "Momentum"))
>>> bts            # name, created, status, key statistics, parameters as columns
>>> bts.full       # the same data as a plain DataFrame, displayed whole
"""
from __future__ import annotations

from typing import Any

import pandas as pd


class CompactFrame(pd.DataFrame):
    """A DataFrame displayed through its compact view (results.table_view)."""

    _metadata = ["_view_options"]

    def __init__(self, data: Any = None, *args: Any, view_options: dict | None = None,
                 **kwargs: Any):
        super().__init__(data, *args, **kwargs)
        self._view_options = dict(view_options or {})

    @property
    def _constructor(self):
        # Derived frames are plain: a column selection is not the list the view was made for.
        return pd.DataFrame

    @property
    def full(self) -> pd.DataFrame:
        """The same data as a plain DataFrame, which displays every column."""
        return pd.DataFrame(self)

    def view(self):
        """The compact view (a results.TableView: `.to_text()`, HTML in notebooks)."""
        from .display import table_view
        return table_view(self.full, **self._view_options)

    def _repr_html_(self) -> str:
        return self.view()._repr_html_()

    def __repr__(self) -> str:
        return self.view().to_text()


def compact(frame: pd.DataFrame, **view_options: Any) -> CompactFrame:
    """`frame` displayed through its compact view, with every column kept."""
    return CompactFrame(frame, view_options=view_options)


__all__ = ["CompactFrame", "compact"]
