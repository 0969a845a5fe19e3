"""Unit test of the Python Network controller (network_controller.py) on an offline reconcile.TestEnv:
no cluster, virtual time. Run: RC_LIBRARY=build/libreconcile.so.0 PYTHONPATH=bindings/python:examples/python
python3 -m unittest test_network_controller (make test runs it through bindings/python/tests)."""

import unittest

import reconcile

import network_controller as nc

GOOD = {"apiVersion": "samplecrd.k8s.io/v1", "kind": "Network",
        "metadata": {"name": "good", "namespace": "default"},
        "spec": {"cidr": "192.168.0.0/16", "gateway": "192.168.0.1"}}
BAD = {"apiVersion": "samplecrd.k8s.io/v1", "kind": "Network",
       "metadata": {"name": "bad", "namespace": "default"},
       "spec": {"cidr": "10.0.0.1/8", "gateway": "10.0.0.1"}}


class NetworkControllerTest(unittest.TestCase):
    def setUp(self):
        self.env = reconcile.TestEnv()
        self.env.load(nc.CRD)
        self.ctl = nc.register(self.env)

    def tearDown(self):
        self.env.close()

    def status(self, name):
        return self.env.get(nc.NETWORKS, name, "default").get("status", {})

    def test_valid_network_gets_status_and_configmap(self):
        self.env.load(GOOD)
        self.env.run_until_stable()
        self.assertEqual(self.status("good")["phase"], "Valid")
        cm = self.env.get("configmaps", "good-network", "default")
        self.assertEqual(cm["data"]["netmask"], "255.255.0.0")
        self.assertEqual(cm["data"]["usableHosts"], "65534")
        self.assertEqual(cm["metadata"]["ownerReferences"][0]["name"], "good")
        self.assertEqual(self.ctl.failures, [])

    def test_invalid_network_is_reported_and_has_no_configmap(self):
        self.env.load(BAD)
        self.env.run_until_stable()
        st = self.status("bad")
        self.assertEqual(st["phase"], "Invalid")
        self.assertTrue(st["message"].startswith('spec.cidr: Invalid value: "10.0.0.1/8"'), st["message"])
        with self.assertRaises(reconcile.NotFound):
            self.env.get("configmaps", "bad-network", "default")

    def test_spec_edits_are_followed(self):
        self.env.load(GOOD)
        self.env.run_until_stable()
        self.env.patch(nc.NETWORKS, "good", {"spec": {"gateway": "10.9.9.9"}}, "default")
        self.env.run_until_stable()
        self.assertEqual(self.status("good")["phase"], "Invalid")
        self.assertEqual(self.status("good")["observedGeneration"], 2)
        self.assertEqual(self.env.list("configmaps", "default", label_selector="samplecrd.k8s.io/network"), [])

    def test_status_conflict_is_retried(self):
        level = reconcile.set_log_level("off")  # the expected failure would be logged
        self.addCleanup(reconcile.set_log_level, level)
        self.env.faults.fail(reconcile.Conflict, verb="update", resource="networks.samplecrd.k8s.io/status")
        self.env.load(GOOD)
        self.env.run_until_stable()
        self.assertEqual(self.status("good")["phase"], "Valid")
        self.assertEqual(len(self.ctl.failures), 1)
        self.assertIn("Conflict", self.ctl.failures[0][1])

    def test_needs_only_these_permissions(self):
        self.env.load([GOOD, BAD])
        self.env.run_until_stable()
        role = self.env.rbac_report("network-py")
        self.assertIn("networks/status", role)
        self.assertIn("configmaps", role)


if __name__ == "__main__":
    unittest.main()
