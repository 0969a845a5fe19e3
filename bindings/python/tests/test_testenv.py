"""reconcile.TestEnv: objects as dicts through the embedded API server, errors as exceptions carrying the
Status, the action log, the write trace, fault injection and virtual time."""

import unittest

import reconcile


def configmap(name, ns="default", **data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns},
            "data": data}


class TestEnvTest(unittest.TestCase):
    def setUp(self):
        self.env = reconcile.TestEnv(seed=7, trace=True)

    def tearDown(self):
        self.env.close()

    def test_create_get_list_patch_delete(self):
        created = self.env.create(configmap("a", x="1"))
        self.assertTrue(created["metadata"]["uid"])
        self.assertEqual(self.env.get("cm", "a", "default")["data"], {"x": "1"})
        self.env.patch("configmaps", "a", {"data": {"y": "2"}}, "default")
        self.env.patch("configmaps", "a", [{"op": "remove", "path": "/data/x"}], "default", type="json")
        self.assertEqual(self.env.get("configmaps", "a", "default")["data"], {"y": "2"})
        self.env.create(configmap("b", "kube-public"))
        self.assertEqual(sorted(o["metadata"]["name"] for o in self.env.list("configmaps")), ["a", "b"])
        self.assertEqual(len(self.env.list("configmaps", "kube-public")), 1)
        self.env.delete("configmaps", "a", "default")
        with self.assertRaises(reconcile.NotFound):
            self.env.get("configmaps", "a", "default")

    def test_label_and_field_selectors(self):
        cm = configmap("sel")
        cm["metadata"]["labels"] = {"tier": "web"}
        self.env.create(cm)
        self.env.create(configmap("other"))
        self.assertEqual([o["metadata"]["name"] for o in self.env.list("configmaps", "default", "tier=web")], ["sel"])
        names = [o["metadata"]["name"] for o in self.env.list("configmaps", field_selector="metadata.name=other")]
        self.assertEqual(names, ["other"])
        with self.assertRaises(reconcile.BadRequest):
            self.env.list("configmaps", label_selector="tier in (")

    def test_errors_carry_the_status(self):
        self.env.create(configmap("dup"))
        with self.assertRaises(reconcile.AlreadyExists) as cm:
            self.env.create(configmap("dup"))
        self.assertEqual((cm.exception.code, cm.exception.status, cm.exception.reason), (-4, 409, "AlreadyExists"))
        with self.assertRaises(reconcile.Invalid) as cm:
            self.env.create(configmap("Not_Valid"))
        self.assertEqual(cm.exception.status, 422)
        self.assertEqual(cm.exception.causes[0]["field"], "metadata.name")
        with self.assertRaises(reconcile.NotFound):
            self.env.get("nosuchresource", "x")
        stale = self.env.get("configmaps", "dup", "default")
        stale["data"] = {"changed": "1"}
        self.env.update(stale)
        with self.assertRaises(reconcile.Conflict):
            self.env.update(stale)

    def test_bad_arguments_raise_python_errors(self):
        with self.assertRaises(ValueError):
            self.env.patch("configmaps", "a", {}, "default", type="yaml")
        with self.assertRaises(reconcile.BadRequest):
            self.env.create("[1, 2]")
        with self.assertRaises(reconcile.BadRequest):
            self.env.load("kind: [")

    def test_apply_is_idempotent_and_merges(self):
        [first] = self.env.apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ap, namespace: default}\n"
                                 "data: {k: v}\n")
        [again] = self.env.apply(configmap("ap", k="v"))
        self.assertEqual(first["metadata"]["resourceVersion"], again["metadata"]["resourceVersion"])
        [changed] = self.env.apply(configmap("ap", k="w"))
        self.assertEqual(changed["data"], {"k": "w"})

    def test_action_log_and_trace(self):
        self.env.clear_actions()
        self.env.create(configmap("t"))
        with self.assertRaises(reconcile.NotFound):
            self.env.get("configmaps", "missing", "default")
        acts = self.env.actions()
        self.assertEqual([(a["verb"], a["name"], a["code"]) for a in acts],
                         [("create", "t", 0), ("get", "missing", -3)])
        self.assertGreater(acts[0]["resource_version"], 0)
        trace = self.env.trace()
        self.assertEqual(trace[-1]["verb"], "create")
        self.assertEqual(trace[-1]["object"]["metadata"]["name"], "t")

    def test_fault_injection(self):
        self.env.faults.fail(reconcile.Unavailable, verb="create", resource="configmaps", nth=2)
        self.env.create(configmap("f1"))
        with self.assertRaises(reconcile.Unavailable) as cm:
            self.env.create(configmap("f2"))
        self.assertEqual(cm.exception.status, 503)
        self.env.create(configmap("f2"))
        self.env.faults.conflict_rate(1.0)
        with self.assertRaises(reconcile.Conflict):
            self.env.patch("configmaps", "f1", {"data": {"a": "b"}}, "default")
        self.env.faults.clear()
        self.env.patch("configmaps", "f1", {"data": {"a": "b"}}, "default")
        with self.assertRaises(reconcile.ApiError):
            self.env.faults.expire_history("nosuchresource")

    def test_virtual_time(self):
        start = self.env.now
        self.env.advance(90)
        self.assertAlmostEqual(self.env.now - start, 90)
        self.env.run_until_stable(10)

    def test_trace_needs_to_be_enabled(self):
        with reconcile.TestEnv() as env:
            with self.assertRaises(RuntimeError):
                env.trace()

    def test_closed_environment_raises(self):
        env = reconcile.TestEnv()
        env.close()
        env.close()
        with self.assertRaises(RuntimeError):
            env.get("configmaps", "a", "default")


if __name__ == "__main__":
    unittest.main()
