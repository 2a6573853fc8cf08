"""Allocatable CPU and memory of one AKS node, per VM size: the one table both the program and the pack use.

Pure data, no SDK imports, so the program (`components/node_pool_headroom.py`)
and the policy pack (`node_pool_headroom.py`, its config default) read the
same numbers. Derivation (AKS "Node resource reservations", Kubernetes 1.29
and later): CPU is the vCPUs less kube-reserved (100m for 2 cores, 140m for
4); memory is the capacity the node reports (about 96-98% of the VM size)
less min(20 MB x maxPods + 50 MB, 25% of capacity) less the 100Mi eviction
threshold, with maxPods 250 (Azure CNI Overlay default). Burstable B-series
sizes count at their nominal vCPUs. Replace with
`kubectl get nodes -o jsonpath='{.items[*].status.allocatable}'` from the real
cluster when it differs.
"""

ALLOCATABLE_BY_VM_SIZE: dict[str, dict[str, str]] = {
    "Standard_B2s": {"cpu": "1900m", "memory": "2840Mi"},       # 2 vCPU, 4 GiB
    "Standard_B4ms": {"cpu": "3860m", "memory": "11900Mi"},     # 4 vCPU, 16 GiB
    "Standard_D2s_v5": {"cpu": "1900m", "memory": "5860Mi"},    # 2 vCPU, 8 GiB
    "Standard_D4s_v5": {"cpu": "3860m", "memory": "11900Mi"},   # 4 vCPU, 16 GiB
}
