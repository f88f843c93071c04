"""Every script must import ``common`` before MXNet, or MXNet keeps one OpenMP thread."""
import ast
import glob
import os

from script_runs import ROOT


def test_common_is_imported_before_mxnet():
    for path in glob.glob(os.path.join(ROOT, 'train_*.py')):
        tree = ast.parse(open(path).read())
        modules = [n.names[0].name if isinstance(n, ast.Import) else n.module
                   for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        assert modules[0] == 'common', '%s imports %s first' % (path, modules[0])
