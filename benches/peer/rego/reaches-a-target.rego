# policies/reaches-a-target.rhai
package tollgate

reaches_a_target_reached if {
	some t in input.targets
	some trig in t.triggers
	trig.consumes_promotion == true
}

warn contains {"rule": "reaches-a-target", "msg": msg} if {
	not reaches_a_target_reached
	count(input.targets) == 0
	msg := sprintf("no DeploymentConfig or Deployment consumes %s: the promotion reaches nothing that runs; check the destination, or add an image trigger on it to the workload that should run it", [input.promotion.destination.ref])
}

warn contains {"rule": "reaches-a-target", "msg": msg} if {
	not reaches_a_target_reached
	count(input.targets) > 0
	names := concat(", ", [target_ref(t) | some t in input.targets])
	dest := input.promotion.destination.ref
	msg := sprintf("none of the targets (%s) has an image trigger on %s: the promotion will not reach them; add one with `oc set triggers dc/NAME --from-image=%s -c CONTAINER --manual`", [names, dest, dest])
}
