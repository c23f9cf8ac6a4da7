# policies/no-tracking-tags.rhai
package tollgate

no_tracking_dest := input.promotion.destination

no_tracking_src := input.promotion.source

deny contains {"rule": "no-tracking-tags", "msg": msg} if {
	input.destination.tracking == null
	msg := sprintf("whether %s is a tracking tag is unknown (the image stream %s/%s could not be read): allow reading image streams in %s, or include the ImageStream in the snapshot", [no_tracking_dest.ref, no_tracking_dest.namespace, no_tracking_dest.stream, no_tracking_dest.namespace])
}

no_tracking_followed := "another tag" if {
	input.destination.from == null
} else := sprintf("%v/%v", [input.destination.from.namespace, input.destination.from.name])

deny contains {"rule": "no-tracking-tags", "msg": msg} if {
	input.destination.tracking == true
	msg := sprintf("%s is a tracking tag that follows %s: make it a pinned tag (`oc tag -d %s`, then promote again; never `oc tag --alias`)", [no_tracking_dest.ref, no_tracking_followed, no_tracking_dest.ref])
}

# Every ImageChange trigger with a `from`, with the namespace it follows.
no_tracking_triggers contains {"t": t, "trig": trig, "ns": ns} if {
	some t in input.targets
	some trig in t.triggers
	trig.type == "ImageChange"
	trig.from != null
	ns := or_default(trig.from.namespace, t.namespace)
}

deny contains {"rule": "no-tracking-tags", "msg": msg} if {
	some x in no_tracking_triggers
	x.trig.consumes_promotion == false
	x.trig.from_tracking == null
	msg := sprintf("%s follows %s/%s, and whether that is a tracking tag is unknown (its image stream could not be read): allow reading image streams in %s, or include it in the snapshot", [target_ref(x.t), x.ns, x.trig.from.name, x.ns])
}

deny contains {"rule": "no-tracking-tags", "msg": msg} if {
	some x in no_tracking_triggers
	x.trig.consumes_promotion == false
	x.trig.from_tracking == true
	msg := sprintf("%s follows %s/%s, a tracking tag that moves without the gate: point its trigger at the promotion tag %s", [target_ref(x.t), x.ns, x.trig.from.name, no_tracking_dest.ref])
}

deny contains {"rule": "no-tracking-tags", "msg": msg} if {
	some x in no_tracking_triggers
	x.t.environment == "prod"
	no_tracking_src.tag != null
	x.ns == no_tracking_src.namespace
	x.trig.from.name == sprintf("%s:%s", [no_tracking_src.stream, no_tracking_src.tag])
	x.trig.consumes_promotion == false
	msg := sprintf("%s follows the source tag %s directly, bypassing the promotion: point its trigger at %s (`oc set triggers %s/%s --from-image=%s -c CONTAINER --manual -n %s`)", [target_ref(x.t), no_tracking_src.ref, no_tracking_dest.ref, short_kind(x.t), x.t.name, no_tracking_dest.ref, x.t.namespace])
}
