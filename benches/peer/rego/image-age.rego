# policies/image-age.rhai
package tollgate

image_age_max_days := param("image-age", "max_age_days", 30)

errors contains {"rule": "image-age", "msg": msg} if {
	not is_number(image_age_max_days)
	msg := sprintf("params.max_age_days must be a number of days, not %v", [image_age_max_days])
}

image_age_hours := input.image.age_hours if {
	input.image.age_hours != null
} else := hours_between(input.image.created, input.promotion.time) if {
	input.image.created != null
} else := null

warn contains {"rule": "image-age", "msg": msg} if {
	is_number(image_age_max_days)
	image_age_hours == null
	msg := sprintf("the age of image %s is unknown (no creation time in its metadata): gather from a cluster that can read the ImageStreamTag %s, or include it in the snapshot", [input.promotion.digest, input.promotion.source.ref])
}

warn contains {"rule": "image-age", "msg": msg} if {
	is_number(image_age_max_days)
	age := image_age_hours
	age != null
	age > image_age_max_days * 24
	days := floor(age / 24)
	msg := sprintf("image %s (%s) is %v days old (built %v), more than %v: rebuild it from current sources and promote the new build", [input.promotion.digest, input.promotion.source.ref, days, input.image.created, image_age_max_days])
}
