"""Results as pandas: backtests, optimizations, and project-level tables. Knows pandas; no I/O of
its own beyond the client it is given. `display` shows them as users read them."""
from .backtest import Backtest, Performance
from .display import TableView, table_view
from .optimization import Optimization
from .parse import parse_number, parse_timespan
from .tables import (Comparison, backtests_frame, compare, files_frame, optimizations_frame,
                     projects_frame)

__all__ = ["Backtest", "Performance", "Optimization", "Comparison", "backtests_frame",
           "optimizations_frame", "projects_frame", "files_frame", "compare", "parse_number",
           "parse_timespan", "TableView", "table_view"]
