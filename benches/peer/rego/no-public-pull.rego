# policies/no-public-pull.rhai
package tollgate

no_public_pull_ns := input.promotion.destination.namespace

no_public_pull_everyone := {"system:authenticated", "system:unauthenticated", "system:serviceaccounts"}

deny contains {"rule": "no-public-pull", "msg": msg} if {
	sprintf("rolebindings in %s", [no_public_pull_ns]) in input.rbac.unreadable
	msg := sprintf("who may pull images from %s is unknown: the rolebindings in %s could not be read; run the gate with rights to read them, or include them in the snapshot", [no_public_pull_ns, no_public_pull_ns])
}

# The role of the binding a puller comes through: the last binding with that id, as the Rhai
# loop assigns it, or "ROLE".
no_public_pull_role(via) := roles[count(roles) - 1] if {
	roles := [b.role.name | some b in input.rbac.bindings; binding_id(b) == via]
	count(roles) > 0
} else := "ROLE"

deny contains {"rule": "no-public-pull", "msg": msg} if {
	some p in input.rbac.pullers
	p.kind == "Group"
	p.name in no_public_pull_everyone
	role := no_public_pull_role(p.via)
	msg := sprintf("group %s may pull images from %s through binding %s: remove it with `oc policy remove-role-from-group %s %s -n %s` and grant pull only to the namespaces that need it", [p.name, no_public_pull_ns, p.via, role, p.name, no_public_pull_ns])
}
