# The helpers the Rhai rules call (src/policy/helpers.rs), in Rego.
package tollgate

short_kind(t) := "dc" if {
	t.kind == "DeploymentConfig"
} else := "deployment"

# `ns/dc/name`: how reports and exceptions name a target (target_ref in Rhai).
target_ref(t) := sprintf("%s/%s/%s", [t.namespace, short_kind(t), t.name])

# Hours from a to b, both RFC 3339 (hours_between in Rhai).
hours_between(a, b) := (time.parse_rfc3339_ns(b) - time.parse_rfc3339_ns(a)) / 3600000000000

or_default(x, d) := d if {
	x == null
} else := x

# A binding's id as `rbac.pullers[].via` writes it: `ns/name`, or `name` for a cluster binding.
binding_id(b) := b.name if {
	b.namespace == null
} else := sprintf("%s/%s", [b.namespace, b.name])

# A list of strings as Rhai prints an array: ["a", "b"].
rhai_list(xs) := concat("", ["[", concat(", ", [concat("", ["\"", x, "\""]) | some x in xs]), "]"])

# A rule's params from configuration (data.params[rule]), `default` when the key is absent.
param(rule, key, default_value) := object.get(object.get(data.params, rule, {}), key, default_value)
