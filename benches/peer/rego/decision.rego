# The decision over the ten rules of policies/, translated from Rhai (one file per rule, same ids).
# Every rule adds {"rule": id, "msg": text} to `deny`, `warn`, `skip` or `errors`; the outcome of a
# rule is error, else deny, else warn, else skip, else pass, as policies/README.md says.
package tollgate

rule_ids := {
	"build-provenance", "image-age", "no-downgrade", "no-public-pull", "no-tracking-tags",
	"pinned-images", "prod-manual-trigger", "reaches-a-target", "target-can-pull", "target-ready",
}

msgs(findings, id) := sort({f.msg | some f in findings; f.rule == id})

outcome(id) := "error" if {
	count(msgs(errors, id)) > 0
} else := "deny" if {
	count(msgs(deny, id)) > 0
} else := "warn" if {
	count(msgs(warn, id)) > 0
} else := "skip" if {
	count(msgs(skip, id)) > 0
} else := "pass"

messages(id, "error") := msgs(errors, id)

messages(id, "deny") := array.concat(msgs(deny, id), msgs(warn, id))

messages(id, "warn") := msgs(warn, id)

messages(id, "skip") := msgs(skip, id)

messages(_, "pass") := []

rules[id] := {"outcome": o, "messages": messages(id, o)} if {
	some id in rule_ids
	o := outcome(id)
}

blocked contains id if {
	some id in rule_ids
	rules[id].outcome in {"deny", "error"}
}

decision := {"allowed": count(blocked) == 0, "rules": rules}
