# policies/pinned-images.rhai
package tollgate

deny contains {"rule": "pinned-images", "msg": msg} if {
	some t in input.targets
	some c in t.containers
	c.pinned == false
	c.triggered == false
	msg := sprintf("%s: container %s uses the mutable reference %s; pin it by digest (image@sha256:…) or add an image trigger on %s for container %s", [target_ref(t), c.name, c.image, input.promotion.destination.ref, c.name])
}
