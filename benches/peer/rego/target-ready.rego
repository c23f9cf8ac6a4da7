# policies/target-ready.rhai
package tollgate

deny contains {"rule": "target-ready", "msg": msg} if {
	some t in input.targets
	t.paused == true
	msg := sprintf("%s is paused, so it would not roll out: resume it with `oc rollout resume %s/%s -n %s`", [target_ref(t), short_kind(t), t.name, t.namespace])
}

# rollout_in_progress is null for Deployments by contract: only a DeploymentConfig has one.
deny contains {"rule": "target-ready", "msg": msg} if {
	some t in input.targets
	t.kind == "DeploymentConfig"
	t.rollout_in_progress == null
	msg := sprintf("whether a rollout of %s is in progress is unknown (its status or ReplicationControllers could not be read): allow reading them, or include them in the snapshot", [target_ref(t)])
}

deny contains {"rule": "target-ready", "msg": msg} if {
	some t in input.targets
	t.kind == "DeploymentConfig"
	t.rollout_in_progress == true
	msg := sprintf("%s has rollout #%v in progress: wait for it with `oc rollout status dc/%s -n %s`, then promote", [target_ref(t), t.latest_version, t.name, t.namespace])
}
