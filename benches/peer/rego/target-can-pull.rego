# policies/target-can-pull.rhai
package tollgate

target_can_pull_who(t) := sprintf("%s (service account %s/%s)", [target_ref(t), t.namespace, t.service_account])

deny contains {"rule": "target-can-pull", "msg": msg} if {
	ns := input.promotion.destination.namespace
	some t in input.targets
	t.can_pull == null
	msg := sprintf("whether %s may pull images from %s is unknown: the bindings could not be read (rbac.unreadable: %s); run the gate with rights to read rolebindings in %s, or include them in the snapshot", [target_can_pull_who(t), ns, rhai_list(input.rbac.unreadable), ns])
}

deny contains {"rule": "target-can-pull", "msg": msg} if {
	ns := input.promotion.destination.namespace
	some t in input.targets
	t.can_pull == false
	msg := sprintf("%s may not pull images from %s: add the binding with `oc policy add-role-to-group system:image-puller system:serviceaccounts:%s -n %s`", [target_can_pull_who(t), ns, t.namespace, ns])
}
