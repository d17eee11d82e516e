#!/bin/bash
# Containers and pods in the history (migration 6): records as the
# collector writes them for crashes in containers, ingested by the real
# daemon; `crashwatch list` shows a CONTAINER column only when a crash
# listed has one and filters by --container, --pod, --namespace, --unit
# (read directly by root and through the daemon by a user); `info` and
# --json carry every field; `info` takes the same filters and shows the
# newest crash that matches.
. "$top_srcdir/tests/integration/daemon-lib.sh"

echo "1..29"
write_config </dev/null
check "daemon starts" start_daemon

ID1=4c9f1d2e3b5a69788776655443322110aabbccddeeff00112233445566778899
ID2=d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2
# record ID TIME_SEC PID UID COMM EXE UNIT CONTAINER_INFO_JSON
record() {
	local id="$(printf '%016d' "$(( $2 * 1000000 ))")-$3-$1"
	cat > "$SPOOL/.#$id" <<JEOF
{"schema":"crashwatch.record.v1","id":"$id","time_usec":$(( $2 * 1000000 )),"pid":$3,"tid":1,
 "uid":$4,"gid":$4,"signal":6,"comm":"$5","exe":"$6","cmdline":["$6"],"unit":$7,"container":true,
 "container_info":$8,
 "core":{"stored":false,"size":1234,"truncated":false,"dropped_reason":"rate-limited"}}
JEOF
	mv "$SPOOL/.#$id" "$SPOOL/$id.meta"
}
T0=1700000000
record 0000000a $T0 201 0 api /app '"cri-containerd-'$ID1'.scope"' \
	'{"runtime":"containerd","id":"'$ID1'","name":null,"image":"registry.example/api:1.4","kubernetes":true,
	  "pod_uid":"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d","pod_name":"api-7d9c-x2x4q","pod_name_source":"hostname",
	  "pod_namespace":"shop","qos_class":"Burstable","exe_in_container":"/app","exe_on_host":null,
	  "cgroup_delegated":false,"runtime_state":null,"unknown":"image: not in a runtime state file on this host"}'
record 0000000b $((T0 + 60)) 202 1000 db /usr/bin/db '"docker-'$ID2'.scope"' \
	'{"runtime":"docker","id":"'$ID2'","name":"pg","image":"postgres:16","kubernetes":false,"pod_uid":null,
	  "pod_name":null,"pod_namespace":null,"qos_class":null,"exe_in_container":"/usr/bin/db",
	  "exe_on_host":"/var/lib/docker/overlay2/x/merged/usr/bin/db"}'
record 0000000c $((T0 + 120)) 203 1000 cron /usr/sbin/cron '"cron.service"' null
check "three records stored" wait_for_crashes 3

L() { "$CLI" "$@" 2>/dev/null; }
CLI_U="$TMP/cli-as-1000"
printf '#!/bin/sh\nexec setpriv --reuid=1000 --regid=1000 --clear-groups "%s" "$@"\n' "$CLI" > "$CLI_U"
chmod 0755 "$CLI_U"
U() { setpriv --reuid=1000 --regid=1000 --clear-groups "$CLI" "$@" 2>/dev/null; }
legend=$(L list | head -n 1)
check "list: a CONTAINER column when a crash has a container" test -n "$(echo "$legend" | grep -w CONTAINER)"
check "list: the container's name, else its id's first 12 digits, else -" \
	test "$(L list --no-legend | awk '{ print $9 }' | tr '\n' ' ')" = "4c9f1d2e3b5a pg - "
check "list: no CONTAINER column when no crash listed has one" \
	test -z "$(L list --unit cron.service | head -n 1 | grep -w CONTAINER)" -a "$(L list --no-legend --unit cron.service | wc -l)" = 1
check "list --container ID-PREFIX" test "$(L list --container 4c9f1d2e --json | jq -c '[.[].pid]')" = "[201]"
check "list --container NAME" test "$(L list --container pg --json | jq -c '[.[].pid]')" = "[202]"
check "list --pod NAME and --pod UID" \
	test "$(L list --pod api-7d9c-x2x4q --json | jq -c '[.[].pid]')/$(L list --pod 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d --json | jq -c '[.[].pid]')" = "[201]/[201]"
check "list --namespace" test "$(L list --namespace shop --json | jq -c '[.[].pid]')" = "[201]"
check "list --unit" test "$(L list --unit "docker-$ID2.scope" --json | jq -c '[.[].pid]')" = "[202]"
check "list --namespace with no match: exit 4 (not found)" sh -c "'$CLI' list --namespace nope >/dev/null 2>&1; test \$? = 4"
check "list --container as uid 1000 (through the daemon)" \
	test "$(U list --container pg --json | jq -c '[.[].pid]')/$(U list --container 4c9f --json | jq -c '[.[].pid]')" = "[202]/[]"
check "list as uid 1000: the CONTAINER column through the daemon" test -n "$(U list | head -n 1 | grep -w CONTAINER)"
check "list as uid 1000: no CONTAINER column when none of theirs listed has one" \
	test -z "$(U list --unit cron.service | head -n 1 | grep -w CONTAINER)" -a "$(U list --no-legend --unit cron.service | wc -l)" = 1
check "the summaries answer says any_container, from the filter's crashes" \
	test "$(rawq 1000 '{"verb":"summaries"}' | jq -r .any_container)/$(rawq 1000 '{"verb":"summaries","filter":{"unit":"cron.service"}}' | jq -r .any_container)/$(rawq 0 '{"verb":"summaries","filter":{"container":"4c9f"}}' | jq -r .any_container)" = "true/false/true"
if start_proxy relay; then
	CRASHWATCH_CONFIG="$PROXY_CONFIG" U list --container pg >/dev/null
	check "list as uid 1000: one summaries request (not a second one for the column)" test "$(proxy_verbs)" = "summaries loops "
	stop_proxy
else
	not_ok "list as uid 1000: one summaries request" "the relay did not start"
fi
if start_proxy old; then
	check "a daemon without any_container: the column from the summaries (uid 1000)" \
		test "$(CRASHWATCH_CONFIG="$PROXY_CONFIG" U list)" = "$(U list)" -a -n "$(U list | head -n 1 | grep -w CONTAINER)"
	check "... and none when no summary has a container" \
		test "$(CRASHWATCH_CONFIG="$PROXY_CONFIG" U list --unit cron.service)" = "$(U list --unit cron.service)"
	stop_proxy
else
	not_ok "a daemon without any_container" "the proxy did not start"
	not_ok "... and none when no summary has a container" "the proxy did not start"
fi
check "list --json: container_info" \
	test "$(L list --pod api-7d9c-x2x4q --json | jq -r '.[0].container_info | [.runtime, .qos_class, .image, .exe_in_container] | join(",")')" \
	     = "containerd,Burstable,registry.example/api:1.4,/app"
check "list --json: container_info null outside a container" test "$(L list --unit cron.service --json | jq -c '.[0].container_info')" = null
id201=$(L list 201 --json | jq -r '.[0].id')
id202=$(L list 202 --json | jq -r '.[0].id')
info=$(L info "$id201")
check "info: runtime, pod, namespace, QoS, exe inside the container" \
	sh -c 'echo "$1" | grep -q "Runtime: *containerd" && echo "$1" | grep -q "Pod: *api-7d9c-x2x4q" &&
	       echo "$1" | grep -q "Namespace: *shop" && echo "$1" | grep -q "QoS class: *Burstable" &&
	       echo "$1" | grep -q "Exe (container): */app"' _ "$info"
check "info --json: container_info" test "$(L info --json "$id202" | jq -r '.container_info.name')" = pg
check "info --json: every container field" \
	test "$(L info --json "$id201" | jq -r '.container_info | keys | join(",")')" = \
	     "exe_in_container,exe_on_host,id,image,name,pod_name,pod_namespace,pod_uid,qos_class,runtime"
check "info --pod NAME: that pod's crash" test "$(L info --pod api-7d9c-x2x4q --json | jq -r '.pid')" = 201
check "info --container ID-PREFIX and NAME" \
	test "$(L info --container 4c9f1d2e --json | jq -r .pid)/$(L info --container pg --json | jq -r .pid)" = "201/202"
check "info --namespace, --unit" \
	test "$(L info --namespace shop --json | jq -r .pid)/$(L info --unit cron.service --json | jq -r .pid)" = "201/203"
record 0000000d $((T0 + 180)) 204 1000 db /usr/bin/db '"docker-'$ID2'.scope"' \
	'{"runtime":"docker","id":"'$ID2'","name":"pg","image":"postgres:16"}'
check "a second crash in container pg" wait_for_crashes 4
check "info --container NAME: the newest of its crashes, text with the image" \
	sh -c 'echo "$1" | grep -q "PID: *204 " && echo "$1" | grep -q "Image: *postgres:16" && ! echo "$1" | grep -q "PID: *202 "' \
	_ "$(L info --container pg)"
check "info --container as uid 1000 (through the daemon): its own, not root's" \
	sh -c 'test "$("$1" info --container pg --json 2>/dev/null | jq -r .pid)" = 204 &&
	       { "$1" info --container 4c9f >/dev/null 2>&1; test $? = 4; }' _ "$CLI_U"
exit $failed
