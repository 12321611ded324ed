"""The files a new cloud project starts with, as QuantConnect creates them.

A Python project holds `main.py` and `research.ipynb`; a C# project `Main.cs` and `Research.ipynb`
(capital R): the mcp-server's live tests list exactly these (`tests/test_files.py`).
"""
from __future__ import annotations

import json

MAIN_PY = '''# region imports
from AlgorithmImports import *
# endregion


class {class_name}(QCAlgorithm):

    def initialize(self):
        self.set_start_date(2020, 1, 1)
        self.set_end_date(2023, 12, 31)
        self.set_cash(100000)
        self.add_equity("SPY", Resolution.DAILY)

    def on_data(self, data: Slice):
        if not self.portfolio.invested:
            self.set_holdings("SPY", 1)
'''

MAIN_CS = '''namespace QuantConnect.Algorithm.CSharp
{
    public class {class_name} : QCAlgorithm
    {
        public override void Initialize()
        {
            SetStartDate(2020, 1, 1);
            SetEndDate(2023, 12, 31);
            SetCash(100000);
            AddEquity("SPY", Resolution.Daily);
        }

        public override void OnData(Slice data)
        {
            if (!Portfolio.Invested)
            {
                SetHoldings("SPY", 1);
            }
        }
    }
}
'''


def research_notebook(language: str) -> str:
    py = language == "Py"
    source = ("qb = QuantBook()\nspy = qb.add_equity(\"SPY\")\n"
              "history = qb.history(qb.securities.keys(), 360, Resolution.DAILY)" if py else
              "#load \"../Initialize.csx\"\nvar qb = new QuantBook();")
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": [
                "![QuantConnect Logo](https://cdn.quantconnect.com/web/i/icon.png)\n", "<hr>"]},
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
             "source": source.splitlines(keepends=True)},
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3" if py else "C#",
                                    "language": "python" if py else "csharp",
                                    "name": "python3" if py else "csharp"}},
        "nbformat": 4, "nbformat_minor": 2,
    }
    return json.dumps(nb, indent=1)


def initial_files(name: str, language: str) -> dict[str, str]:
    words = "".join(ch if ch.isalnum() else " " for ch in name.split("/")[-1]).split()
    class_name = "".join(w[:1].upper() + w[1:] for w in words) or "MyAlgorithm"
    if not class_name[0].isalpha():
        class_name = "Algorithm" + class_name
    if language == "Py":
        return {"main.py": MAIN_PY.replace("{class_name}", class_name),
                "research.ipynb": research_notebook("Py")}
    return {"Main.cs": MAIN_CS.replace("{class_name}", class_name),
            "Research.ipynb": research_notebook("C#")}
