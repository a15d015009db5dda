"""Independent TensorBoard event-file reader/writer for llmk's interop test.

Uses Debian's python3-protobuf (messages built from descriptors that mirror TensorFlow's
event.proto / summary.proto field numbers) and python3-crc32c; shares no code with llmk.

  tfevents_check.py read FILE    -> prints one JSON object per event, after checking both masked CRCs
  tfevents_check.py write FILE   -> writes a small event file (file_version event + 3 scalar events)
"""
import json
import struct
import sys

import crc32c
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

F = descriptor_pb2.FieldDescriptorProto


def build_messages():
    fdp = descriptor_pb2.FileDescriptorProto(name="llmk_check_event.proto", package="tensorflow", syntax="proto3")
    summary = fdp.message_type.add(name="Summary")
    value = summary.nested_type.add(name="Value")
    value.field.add(name="tag", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    value.field.add(name="simple_value", number=2, type=F.TYPE_FLOAT, label=F.LABEL_OPTIONAL)
    summary.field.add(name="value", number=1, type=F.TYPE_MESSAGE, label=F.LABEL_REPEATED,
                      type_name=".tensorflow.Summary.Value")
    event = fdp.message_type.add(name="Event")
    event.field.add(name="wall_time", number=1, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL)
    event.field.add(name="step", number=2, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    event.field.add(name="file_version", number=3, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    event.field.add(name="summary", number=5, type=F.TYPE_MESSAGE, label=F.LABEL_OPTIONAL,
                    type_name=".tensorflow.Summary")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    factory = message_factory.MessageFactory(pool)
    return factory.GetPrototype(pool.FindMessageTypeByName("tensorflow.Event"))


def masked_crc(data):
    crc = crc32c.crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def read(path):
    Event = build_messages()
    data = open(path, "rb").read()
    at = 0
    while at < len(data):
        header = data[at:at + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[at + 8:at + 12])
        if masked_crc(header) != length_crc:
            sys.exit(f"length CRC mismatch at byte {at}")
        payload = data[at + 12:at + 12 + length]
        (data_crc,) = struct.unpack("<I", data[at + 12 + length:at + 16 + length])
        if masked_crc(payload) != data_crc:
            sys.exit(f"data CRC mismatch at byte {at}")
        event = Event()
        event.ParseFromString(payload)
        out = {"wall_time": event.wall_time, "step": event.step}
        if event.file_version:
            out["file_version"] = event.file_version
        if event.HasField("summary"):
            out["scalars"] = {v.tag: v.simple_value for v in event.summary.value}
        print(json.dumps(out))
        at += 16 + length


def write(path):
    Event = build_messages()
    events = [Event(wall_time=1700000000.25, file_version="brain.Event:2")]
    for step, loss in [(1, 2.5), (2, 2.25), (1000000000000, 0.125)]:
        e = Event(wall_time=1700000000.25 + step % 7, step=step)
        e.summary.value.add(tag="train/loss", simple_value=loss)
        e.summary.value.add(tag="lr", simple_value=0.001)
        events.append(e)
    with open(path, "wb") as f:
        for e in events:
            payload = e.SerializeToString()
            header = struct.pack("<Q", len(payload))
            f.write(header + struct.pack("<I", masked_crc(header)) + payload + struct.pack("<I", masked_crc(payload)))


if __name__ == "__main__":
    {"read": read, "write": write}[sys.argv[1]](sys.argv[2])
