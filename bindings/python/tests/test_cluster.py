"""reconcile.Cluster: the reference controllers and a simulated cluster of N nodes, offline."""

import unittest

import reconcile

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: nginx:1.25}]
"""


class ClusterTest(unittest.TestCase):
    def setUp(self):
        self.c = reconcile.Cluster(nodes=3, seed=1)

    def tearDown(self):
        self.c.close()

    def test_deployment_rolls_out_on_the_nodes(self):
        self.c.apply(DEPLOYMENT)
        self.c.run_until_stable()
        pods = self.c.list("pods", "default", label_selector="app=web")
        self.assertEqual(len(pods), 3)
        self.assertEqual({p["status"]["phase"] for p in pods}, {"Running"})
        self.assertEqual(sorted(p["spec"]["nodeName"] for p in pods), ["node-1", "node-2", "node-3"])
        self.assertEqual(self.c.get("deployments", "web", "default")["status"]["readyReplicas"], 3)

    def test_nodes_and_errors(self):
        self.assertEqual(len(self.c.list("nodes")), 3)
        self.c.add_node("big", cpu="64", labels={"disk": "ssd"})
        self.assertEqual(self.c.get("nodes", "big")["metadata"]["labels"]["disk"], "ssd")
        with self.assertRaises(reconcile.AlreadyExists):
            self.c.add_node("big")
        self.c.cordon("node-1")
        self.assertTrue(self.c.get("nodes", "node-1")["spec"]["unschedulable"])
        with self.assertRaises(reconcile.Invalid):
            self.c.taint("node-2", "k", "Sometimes")
        self.c.remove_node("big")
        with self.assertRaises(reconcile.NotFound):
            self.c.remove_node("big")

    def test_not_ready_node_loses_its_pods(self):
        self.c.apply(DEPLOYMENT)
        self.c.run_until_stable()
        self.c.set_node_ready("node-1", False)
        self.c.advance(600)
        self.c.run_until_stable()
        pods = [p for p in self.c.list("pods", "default", label_selector="app=web")
                if not p["metadata"].get("deletionTimestamp")]
        self.assertEqual(len(pods), 3)
        self.assertNotIn("node-1", {p["spec"].get("nodeName") for p in pods})

    def test_dns(self):
        self.c.apply("apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\n"
                     "spec: {selector: {app: web}, ports: [{port: 80}]}\n")
        self.c.run_until_stable()
        self.assertEqual(len(self.c.dns("web.default.svc.cluster.local")), 1)
        with self.assertRaises(reconcile.NotFound):
            self.c.dns("nothing.default.svc.cluster.local")


if __name__ == "__main__":
    unittest.main()
