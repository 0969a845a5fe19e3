"""Runs the unit tests of the Python examples (examples/python/test_*.py) with the binding's suite, so
`make test` covers them without a runner of their own."""

import os
import sys
import unittest

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "examples", "python")


def load_tests(loader, tests, pattern):
    sys.path.insert(0, os.path.normpath(EXAMPLES))
    suite = unittest.TestSuite()
    for name in sorted(os.listdir(EXAMPLES)):
        if name.startswith("test_") and name.endswith(".py"):
            suite.addTests(loader.loadTestsFromName(name[:-3]))
    return suite
