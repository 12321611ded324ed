"""A real Jupyter kernel runs a notebook that uses every %qc subcommand against the emulator."""
from __future__ import annotations

import json
import re

import nbformat
import pytest
from nbclient import NotebookClient

from qc_magics.commands import NAMES

pytestmark = pytest.mark.slow

CELLS = [
    "%load_ext qc_magics\n%config QCMagics.progress = 'none'\n%config QCMagics.poll_interval = 0.01",
    "%qc help\n%qc help push",
    "try:\n    get_ipython().run_line_magic('qc', 'login')\n"
    "except Exception as e:\n    assert 'can prompt' in str(e), e\n    print('login refused')",
    "%qc whoami --out who\nassert '*' in who['api_token']",
    "created = %qc new 'Kernel Project'\n%qc use 'Kernel Project'\n%qc projects --out projects",
    "%qc files --out files\n%qc status --out status\n%qc pull --all --out pulled\n"
    "assert sorted(pulled.changed) == ['main.py', 'research.ipynb']",
    "%%qc write lib/signals.py\nFAST = 10\nSLOW = 50\n",
    "open('main.py', 'a').write('\\n# edited in the kernel\\n')\n"
    "%qc diff main.py --out d\nassert '+# edited in the kernel' in str(d)\n"
    "%qc push main.py --out pushed\nassert pushed.changed == ['main.py']",
    "%qc mv lib/signals.py lib/params.py\n%qc rm lib/params.py --yes",
    "%qc sync --out synced\n%qc sync --watch --interval 0.2 --out live\nimport time\n"
    "open('live.py', 'w').write('x = 1\\n')\nfor _ in range(100):\n"
    "    if live.status.pushes:\n        break\n    time.sleep(0.1)\n"
    "assert live.status.pushes == 1, live.status\n%qc sync --stop\nassert not live.running",
    "import nbformat\nnb = nbformat.v4.new_notebook()\n"
    "nb.cells = [nbformat.v4.new_code_cell('n = 1', metadata={'tags': ['parameters']}),\n"
    "            nbformat.v4.new_code_cell('print(n * 2)', metadata={'tags': ['result']})]\n"
    "nbformat.write(nb, 'study.ipynb')\n%qc push study.ipynb --param n=21",
    "import requests, os\n"
    "from qc_magics.api.transport import signature\n"
    "import time\nts = str(int(time.time()))\n"
    "r = requests.post(os.environ['QC_API_URL'] + '/emulator/notebooks/run',\n"
    "                  json={'projectId': created['projectId'], 'name': 'study.ipynb', 'wait': True},\n"
    "                  auth=(os.environ['QC_USER_ID'], signature(os.environ['QC_API_TOKEN'], ts)),\n"
    "                  headers={'Timestamp': ts}, timeout=300)\n"
    "assert r.json()['state'] == 'completed', r.text\n"
    "%qc wait study.ipynb --timeout 60\n%qc outputs study.ipynb --out out\n"
    "assert out['result'].value == 42",
    "%qc compile --out compiled\n%qc backtest --name k1 --param ema=10 --out bt\n"
    "assert bt.done and bt.statistics['Total Orders'] == 240",
    "%qc backtests --out table\n%qc backtest read {bt.id} --out again\n"
    "%qc backtest --name k2 --no-wait --out bt2\n%qc backtest read {bt2.id} --wait --out bt2\n"
    "%qc compare {bt.id} {bt2.id} --out both\nassert list(both.statistics.columns) == ['k1', 'k2']\n"
    "%qc backtest rename {bt2.id} renamed\n%qc backtest delete {bt2.id} --yes",
    "%qc backtest logs {bt.id} --pattern 'price (?P<price>\\S+)' --tail 5 --out metrics\n"
    "assert len(metrics) == 5 and metrics['price'].dtype == 'float64'",
    "%%qc store put k/notes.json\n{\"folds\": 3}\n",
    "import pandas as pd\nframe = pd.DataFrame({'a': [1, 2]})\n"
    "%qc store put k/frame.csv --from frame\n%qc store ls k --out listing\n"
    "assert listing.index.tolist() == ['k/frame.csv', 'k/notes.json']\n"
    "%qc store get k/frame.csv --out back\nassert back.equals(frame)\n"
    "%qc store get k/notes.json --to notes.json\n%qc store rm k/frame.csv --yes",
    "%qc optimize estimate --param a=1:3:1 --param b=10:20:10 --out est\n"
    "assert est.backtests == 6\n"
    "%qc optimize run --param a=1:3:1 --param b=10:20:10 --yes --out opt\n"
    "assert opt.status == 'completed'\n%qc optimizations --out opts\n"
    "%qc optimize read {opt.id} --out opt2\n"
    "%qc optimize run --param a=1:9:1 --max-cost 5 --no-wait --out slow\n"
    "%qc optimize abort {slow.id}\n%qc optimize delete {slow.id} --yes",
    "%qc doctor --out diag\nassert diag.exit_code == 0, str(diag)",
    "%qc panel",
    "bt.statistics.head()",
]


def test_every_subcommand_in_a_real_kernel(emu, tmp_path, monkeypatch):
    monkeypatch.setenv("QC_USER_ID", emu.user_id)
    monkeypatch.setenv("QC_API_TOKEN", emu.api_token)
    monkeypatch.setenv("QC_API_URL", emu.api_url)
    emu.app.timing.scale = 0.02
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [(i, o.get("ename"), o.get("evalue")) for i, c in enumerate(nb.cells)
              for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []
    used = set()
    for cell in CELLS:
        for first, second in re.findall(r"%%?qc\s+([\w-]+)(?:\s+([\w-]+))?", cell):
            two = f"{first} {second}"
            used.add(two if two in NAMES else first)
    used |= {"login"}   # called through run_line_magic above, since it must refuse here
    assert set(NAMES) - used == set()
    assert (tmp_path / "main.py").exists() and (tmp_path / "study.ipynb").exists()
    assert not (tmp_path / "lib" / "params.py").exists()
    text = json.dumps(nbformat.writes(nb))
    assert emu.api_token not in text
    assert "application/vnd.jupyter.widget-view+json" in text     # the panel was displayed
