"""reconcile.parse / parse_file / to_yaml: manifests to dicts and back, and their errors."""

import os
import tempfile
import unittest

import reconcile

STREAM = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
data: {flag: "yes", num: "1"}
---
# an empty document is skipped
---
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  hostNetwork: yes
  containers:
  - name: c
    image: busybox
    ports: [{containerPort: 0x50}]
"""


class ParseTest(unittest.TestCase):
    def test_multi_document_stream_gives_dicts(self):
        docs = reconcile.parse(STREAM)
        self.assertEqual([d["kind"] for d in docs], ["ConfigMap", "Pod"])
        self.assertEqual(docs[0]["data"], {"flag": "yes", "num": "1"})

    def test_yaml_1_1_typing_like_kubectl(self):
        pod = reconcile.parse(STREAM)[1]
        self.assertIs(pod["spec"]["hostNetwork"], True)
        self.assertEqual(pod["spec"]["containers"][0]["ports"][0]["containerPort"], 80)

    def test_json_input(self):
        self.assertEqual(reconcile.parse('{"kind": "X", "a": [1, 2]}'), [{"kind": "X", "a": [1, 2]}])

    def test_malformed_yaml_names_file_line_and_column(self):
        with self.assertRaises(reconcile.BadRequest) as cm:
            reconcile.parse("a: 1\nb: [1,\n", "broken.yaml")
        e = cm.exception
        self.assertEqual((e.status, e.reason), (400, "BadRequest"))
        self.assertTrue(e.message.startswith("broken.yaml:3:"), e.message)

    def test_document_that_is_not_a_mapping_is_rejected_whole(self):
        with self.assertRaises(reconcile.BadRequest) as cm:
            reconcile.parse("a: 1\n---\n- 1\n- 2\n")
        self.assertIn("not a mapping", cm.exception.message)

    def test_duplicate_key_is_an_error(self):
        with self.assertRaises(reconcile.ApiError):
            reconcile.parse("a: 1\na: 2\n")

    def test_parse_file_and_missing_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(STREAM)
        try:
            self.assertEqual(len(reconcile.parse_file(f.name)), 2)
        finally:
            os.unlink(f.name)
        with self.assertRaises(OSError):
            reconcile.parse_file(f.name)


class ToYamlTest(unittest.TestCase):
    def test_round_trip(self):
        for doc in reconcile.parse(STREAM):
            self.assertEqual(reconcile.parse(reconcile.to_yaml(doc)), [doc])

    def test_strings_that_look_like_other_types_stay_strings(self):
        obj = {"data": {"a": "yes", "b": "1", "c": "null", "d": "two\nlines\n"}}
        self.assertEqual(reconcile.parse(reconcile.to_yaml(obj))[0], obj)

    def test_stream(self):
        text = reconcile.to_yaml_stream([{"a": 1}, {"b": 2}])
        self.assertEqual(text.count("---\n"), 2)
        self.assertEqual(reconcile.parse(text), [{"a": 1}, {"b": 2}])

    def test_not_an_object(self):
        with self.assertRaises(reconcile.BadRequest):
            reconcile.to_yaml([1, 2])


if __name__ == "__main__":
    unittest.main()
