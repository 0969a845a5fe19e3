/* nginx_pod.h - one realistic nginx pod as a ReplicaSet creates it, after scheduling and start, as compact
 * JSON: the shared fixture of the object tests and the object benchmark (P1). */
#ifndef RC_TEST_NGINX_POD_H
#define RC_TEST_NGINX_POD_H

static const char POD[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"nginx-7c5ddbdf54-x8f9q\",\"generateName\":\"nginx-7c"
    "5ddbdf54-\",\"namespace\":\"default\",\"uid\":\"5c2f1a3e-8a4b-4b8e-9f3a-2d1c0e7b6a59\",\"resourceVersion\":\"123"
    "456\",\"creationTimestamp\":\"2024-05-01T10:00:00Z\",\"labels\":{\"app\":\"nginx\",\"pod-template-hash\":\"7c5ddbd"
    "f54\"},\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"nginx-7c5ddbdf54\",\"uid\""
    ":\"0e6f5d4c-3b2a-4190-8f7e-6d5c4b3a2910\",\"controller\":true,\"blockOwnerDeletion\":true}]},\"spec\":{\"volu"
    "mes\":[{\"name\":\"kube-api-access-4xk2p\",\"projected\":{\"sources\":[{\"serviceAccountToken\":{\"expirationSec"
    "onds\":3607,\"path\":\"token\"}},{\"configMap\":{\"name\":\"kube-root-ca.crt\",\"items\":[{\"key\":\"ca.crt\",\"path\":"
    "\"ca.crt\"}]}},{\"downwardAPI\":{\"items\":[{\"path\":\"namespace\",\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":"
    "\"metadata.namespace\"}}]}}],\"defaultMode\":420}}],\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx:1.25.3\""
    ",\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}],\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"128Mi"
    "\"},\"requests\":{\"cpu\":\"250m\",\"memory\":\"64Mi\"}},\"volumeMounts\":[{\"name\":\"kube-api-access-4xk2p\",\"readO"
    "nly\":true,\"mountPath\":\"/var/run/secrets/kubernetes.io/serviceaccount\"}],\"terminationMessagePath\":\"/d"
    "ev/termination-log\",\"terminationMessagePolicy\":\"File\",\"imagePullPolicy\":\"IfNotPresent\"}],\"restartPol"
    "icy\":\"Always\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\",\"serviceAccountName\":\"de"
    "fault\",\"serviceAccount\":\"default\",\"nodeName\":\"node-1\",\"securityContext\":{},\"schedulerName\":\"default-"
    "scheduler\",\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExec"
    "ute\",\"tolerationSeconds\":300},{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\""
    "NoExecute\",\"tolerationSeconds\":300}],\"priority\":0,\"enableServiceLinks\":true,\"preemptionPolicy\":\"Pree"
    "mptLowerPriority\"},\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Initialized\",\"status\":\"True\",\""
    "lastProbeTime\":null,\"lastTransitionTime\":\"2024-05-01T10:00:00Z\"},{\"type\":\"Ready\",\"status\":\"True\",\"la"
    "stProbeTime\":null,\"lastTransitionTime\":\"2024-05-01T10:00:05Z\"},{\"type\":\"ContainersReady\",\"status\":\"T"
    "rue\",\"lastProbeTime\":null,\"lastTransitionTime\":\"2024-05-01T10:00:05Z\"},{\"type\":\"PodScheduled\",\"statu"
    "s\":\"True\",\"lastProbeTime\":null,\"lastTransitionTime\":\"2024-05-01T10:00:00Z\"}],\"hostIP\":\"10.0.0.11\",\"p"
    "odIP\":\"10.244.1.17\",\"podIPs\":[{\"ip\":\"10.244.1.17\"}],\"startTime\":\"2024-05-01T10:00:00Z\",\"containerSta"
    "tuses\":[{\"name\":\"nginx\",\"state\":{\"running\":{\"startedAt\":\"2024-05-01T10:00:04Z\"}},\"lastState\":{},\"rea"
    "dy\":true,\"restartCount\":0,\"image\":\"docker.io/library/nginx:1.25.3\",\"imageID\":\"docker.io/library/ngin"
    "x@sha256:6db391d1c0cfb30588ba0bf72ea999404f2764febf0f1f196acd5867ac7efa7e\",\"containerID\":\"containerd"
    "://3f1e2d4c5b6a79881726354453627181920a1b2c3d4e5f60718293a4b5c6d7e8\",\"started\":true}],\"qosClass\":\"Bu"
    "rstable\"}}"
;

#endif
