# policies/build-provenance.rhai
package tollgate

warn contains {"rule": "build-provenance", "msg": msg} if {
	input.image.build == null
	msg := sprintf("the build metadata of image %s is unknown (the facts hold no image metadata): gather from a cluster that can read the ImageStreamTag %s, or include it in the snapshot", [input.promotion.digest, input.promotion.source.ref])
}

warn contains {"rule": "build-provenance", "msg": msg} if {
	input.image.build != null
	input.image.build.commit in {null, ""}
	msg := sprintf("image %s (%s) carries no build commit: add the label io.openshift.build.commit.id (a BuildConfig build does this) so it can be traced to source", [input.promotion.digest, input.promotion.source.ref])
}
