#!/usr/bin/python3
"""An independent MQTT peer for the access matrix: paho-mqtt 1.6.1 (Debian python3-paho-mqtt).

argv[1] is JSON: {"host", "port", "version": 3|4|5, "username", "password", "clientId",
"subscribe": [topics], "publish": [[topic, payload]]}. It connects, subscribes to the topics in
one SUBSCRIBE (QoS 1) and waits for the first message when any was granted, then publishes each
payload with QoS 1 in order and waits for its acknowledgement, and prints one JSON line per event:
{"connack": rc}, {"suback": [codes]}, {"message": topic}, {"puback": topic}, {"closed": rc}.
Exits when done, when the connection closes, or after 10 s (a hung peer must not hang the test).
"""
import json
import sys
import threading

import paho.mqtt.client as mqtt

args = json.loads(sys.argv[1])
protocol = {3: mqtt.MQTTv31, 4: mqtt.MQTTv311, 5: mqtt.MQTTv5}[args["version"]]
done = threading.Event()
state = {"first": threading.Event(), "acked": threading.Event()}


def say(obj):
    print(json.dumps(obj), flush=True)


client = mqtt.Client(client_id=args.get("clientId", ""), protocol=protocol) if protocol == mqtt.MQTTv5 else mqtt.Client(client_id=args.get("clientId", ""), clean_session=True, protocol=protocol)
if args.get("username") is not None:
    client.username_pw_set(args["username"], args.get("password"))


def on_connect(c, userdata, flags, rc, properties=None):
    code = rc.value if hasattr(rc, "value") else rc
    say({"connack": code})
    if code != 0:
        done.set()
        return
    threading.Thread(target=run, daemon=True).start()


def on_subscribe(c, userdata, mid, granted, properties=None):
    codes = [g.value if hasattr(g, "value") else g for g in granted]
    say({"suback": codes})
    if not any(code < 0x80 for code in codes):
        state["first"].set()


def on_message(c, userdata, msg):
    if not state["first"].is_set():
        say({"message": msg.topic})
        state["first"].set()


def on_publish(c, userdata, mid):
    state["acked"].set()


def on_disconnect(c, userdata, rc, properties=None):
    say({"closed": rc.value if hasattr(rc, "value") else rc})
    state["first"].set()
    state["acked"].set()
    done.set()


def run():
    subs = args.get("subscribe", [])
    if subs:
        client.subscribe([(t, 1) for t in subs])
        state["first"].wait(8)
    for topic, payload in args.get("publish", []):
        if done.is_set():
            break
        state["acked"].clear()
        info = client.publish(topic, payload, qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            say({"publishError": info.rc})
            break
        if state["acked"].wait(8) and not done.is_set():
            say({"puback": topic})
    client.disconnect()


client.on_connect = on_connect
client.on_subscribe = on_subscribe
client.on_message = on_message
client.on_publish = on_publish
client.on_disconnect = on_disconnect
try:
    client.connect(args["host"], args["port"], keepalive=30)
except Exception as e:  # refused at the TCP level
    say({"error": str(e)})
    sys.exit(0)
client.loop_start()
done.wait(10)
client.loop_stop()
