"""Python reconcile functions as controllers: results, exceptions turned into rate-limited retries (never a
crash), cache reads, owned children, map functions, RBAC as a service account."""

import unittest

import reconcile

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: default}\ndata: {v: '%s'}\n"


class ControllerTest(unittest.TestCase):
    def setUp(self):
        self.env = reconcile.TestEnv()
        self.level = reconcile.set_log_level("off")  # expected reconcile errors would be logged to stderr

    def tearDown(self):
        self.env.close()
        reconcile.set_log_level(self.level)

    def add(self, fn, **kw):
        return self.env.add_controller("py", fn, "configmaps", **kw)

    def test_copies_into_an_owned_child(self):
        def rec(ctx):
            if ctx.name.endswith("-copy"):
                return None
            src = ctx.get("configmaps", ctx.name, ctx.namespace)
            if src is None:
                return None
            child = ctx.set_controller_ref({"apiVersion": "v1", "kind": "ConfigMap",
                                            "metadata": {"name": ctx.name + "-copy", "namespace": ctx.namespace},
                                            "data": src["data"]}, src)
            have = ctx.get("configmaps", ctx.name + "-copy", ctx.namespace)
            if have is None:
                ctx.client.create(child)
                ctx.event(src, "Normal", "Copied", "made " + ctx.name + "-copy")
            elif have["data"] != src["data"]:
                have["data"] = src["data"]
                ctx.client.update(have)
            return None
        ctl = self.add(rec, owns=["configmaps"])
        self.env.load(CM % ("a", "1"))
        self.env.run_until_stable()
        copy = self.env.get("configmaps", "a-copy", "default")
        self.assertEqual(copy["data"], {"v": "1"})
        self.assertEqual(copy["metadata"]["ownerReferences"][0]["controller"], True)
        self.assertEqual([e["reason"] for e in self.env.list("events", "default")], ["Copied"])
        self.env.patch("configmaps", "a", {"data": {"v": "2"}}, "default")
        self.env.run_until_stable()
        self.assertEqual(self.env.get("configmaps", "a-copy", "default")["data"], {"v": "2"})
        self.assertEqual(ctl.failures, [])

    def test_exceptions_become_rate_limited_retries(self):
        times = []

        def rec(ctx):
            times.append(ctx.now)
            if len(times) < 4:
                raise KeyError("not yet")
        ctl = self.add(rec)
        self.env.load(CM % ("a", "1"))
        self.env.run_until_stable(3600)
        self.assertEqual(len(times), 4)
        gaps = [b - a for a, b in zip(times, times[1:])]
        self.assertTrue(gaps[0] < gaps[1] < gaps[2], gaps)  # exponential back-off
        self.assertEqual([f[:2] for f in ctl.failures], [("default/a", "KeyError: 'not yet'")] * 3)
        self.assertIn('reconcile_total{controller="py",result="error"} 3', self.env.metrics())

    def test_api_errors_keep_their_code_and_bad_results_do_not_crash(self):
        results = [reconcile.Conflict("stale"), "not a result", None]

        def rec(ctx):
            r = results.pop(0)
            if isinstance(r, Exception):
                raise r
            return r
        ctl = self.add(rec)
        self.env.load(CM % ("a", "1"))
        self.env.run_until_stable(3600)
        self.assertEqual(results, [])
        self.assertEqual(ctl.failures[0][1], "Conflict: stale (409 Conflict)")
        self.assertTrue(ctl.failures[1][1].startswith("TypeError: reconcile returned 'not a result'"))

    def test_requeue_after(self):
        times = []

        def rec(ctx):
            times.append(ctx.now)
            return 30 if len(times) == 1 else reconcile.Requeue(after=60) if len(times) == 2 else None
        self.add(rec)
        self.env.load(CM % ("a", "1"))
        self.env.run_until_stable(3600)
        self.assertEqual([round(b - a) for a, b in zip(times, times[1:])], [30, 60])

    def test_context_is_only_valid_during_the_call(self):
        kept = []
        ctl = self.add(lambda ctx: kept.append(ctx))
        self.env.load(CM % ("a", "1"))
        self.env.run_until_stable()
        self.assertEqual(ctl.calls, 1)
        with self.assertRaises(RuntimeError):
            kept[0].get("configmaps", "a", "default")
        with self.assertRaises(RuntimeError):
            kept[0].client.get("configmaps", "a", "default")

    def test_watches_with_a_map_function(self):
        seen = []
        self.env.add_controller("mapper", lambda ctx: seen.append(ctx.key), "configmaps",
                                watches=[("secrets", lambda obj: ["default/from-" + obj["metadata"]["name"]])])
        self.env.load("apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\n")
        self.env.run_until_stable()
        self.assertIn("default/from-s", seen)

    def test_undeclared_resource_read_is_an_error(self):
        ctl = self.add(lambda ctx: ctx.get("secrets", "x", "default"))
        self.env.load(CM % ("a", "1"))
        self.env.run_until_stable(1)
        self.assertTrue(ctl.failures[0][1].startswith("Invalid:"), ctl.failures[0][1])

    def test_registration_errors(self):
        with self.assertRaises(reconcile.NotFound):
            self.env.add_controller("x", lambda ctx: None, "nosuchresource")
        with self.assertRaises(TypeError):
            self.env.add_controller("y", "not callable", "configmaps")
        self.add(lambda ctx: None)
        with self.assertRaises(reconcile.AlreadyExists):
            self.add(lambda ctx: None)

    def test_service_account_without_rbac_is_forbidden(self):
        def rec(ctx):
            ctx.client.create({"apiVersion": "v1", "kind": "Secret",
                               "metadata": {"name": "s", "namespace": ctx.namespace}})
        self.env.load("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: bot, namespace: default}\n---\n"
                      "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: bot}\n"
                      "rules:\n- {apiGroups: [''], resources: [configmaps], verbs: [list, watch]}\n---\n"
                      "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
                      "metadata: {name: bot}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, "
                      "name: bot}\nsubjects: [{kind: ServiceAccount, name: bot, namespace: default}]\n")
        ctl = self.add(rec, service_account="default/bot")
        self.env.load(CM % ("a", "1"))
        self.env.run_until_stable(1)
        self.assertTrue(ctl.failures and ctl.failures[0][1].startswith("Forbidden:"), ctl.failures)
        self.assertIn("secrets", self.env.rbac_report("py"))


if __name__ == "__main__":
    unittest.main()
