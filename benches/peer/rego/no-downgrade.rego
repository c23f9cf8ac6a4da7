# policies/no-downgrade.rhai
package tollgate

no_downgrade_dest := input.promotion.destination

warn contains {"rule": "no-downgrade", "msg": msg} if {
	input.destination.exists == null
	msg := sprintf("whether %s exists is unknown (its image stream could not be read), so a downgrade cannot be ruled out: allow reading image streams in %s, or include it in the snapshot", [no_downgrade_dest.ref, no_downgrade_dest.namespace])
}

skip contains {"rule": "no-downgrade", "msg": msg} if {
	input.destination.exists == false
	msg := sprintf("%s does not exist yet: nothing to downgrade from", [no_downgrade_dest.ref])
}

# Which creation time is unknown (undefined when both are known).
no_downgrade_unknown := sprintf("the candidate %s", [input.promotion.digest]) if {
	input.image.created == null
} else := sprintf("the image %s points at now", [no_downgrade_dest.ref]) if {
	input.destination.image_created == null
}

warn contains {"rule": "no-downgrade", "msg": msg} if {
	input.destination.exists == true
	input.destination.digest != input.promotion.digest
	msg := sprintf("cannot tell whether this is a downgrade: the creation time of %s is unknown; include the image metadata in the facts", [no_downgrade_unknown])
}

warn contains {"rule": "no-downgrade", "msg": msg} if {
	input.destination.exists == true
	input.destination.digest != input.promotion.digest
	input.image.created != null
	input.destination.image_created != null
	hours_between(input.destination.image_created, input.image.created) < 0
	msg := sprintf("image %s (built %s) is older than the image %s points at now (%s, built %s): this rolls back; promote a newer build, or give the reason with --reason", [input.promotion.digest, input.image.created, no_downgrade_dest.ref, input.destination.digest, input.destination.image_created])
}
