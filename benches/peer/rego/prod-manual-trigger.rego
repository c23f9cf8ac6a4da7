# policies/prod-manual-trigger.rhai
package tollgate

prod_manual_fix(t) := sprintf("run `oc set triggers dc/%s --manual -n %s`", [t.name, t.namespace]) if {
	t.kind == "DeploymentConfig"
} else := sprintf(`set "paused": true on its trigger in the image.openshift.io/triggers annotation of deployment/%s`, [t.name])

deny contains {"rule": "prod-manual-trigger", "msg": msg} if {
	some t in input.targets
	t.environment == "prod"
	some trig in t.triggers
	trig.consumes_promotion == true
	trig.automatic == true
	msg := sprintf("%s redeploys automatically when %s moves: %s", [target_ref(t), input.promotion.destination.ref, prod_manual_fix(t)])
}
