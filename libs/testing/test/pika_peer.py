"""A pika program per tutorial role, declaring exactly what the official Python tutorials declare.

Used by the interoperability tests: `python3 pika_peer.py ROLE [ARGS...]`, broker from RABBITMQ_URL.
"""
import os
import sys
import uuid

import pika

QUORUM = {"x-queue-type": "quorum"}


def connect():
    return pika.BlockingConnection(pika.URLParameters(os.environ["RABBITMQ_URL"]))


def send(args):
    connection = connect()
    channel = connection.channel()
    channel.queue_declare(queue="hello", durable=True, arguments=QUORUM)
    message = " ".join(args) or "Hello World!"
    channel.basic_publish(exchange="", routing_key="hello", body=message)
    print(f" [x] Sent '{message}'", flush=True)
    connection.close()


def new_task(args):
    connection = connect()
    channel = connection.channel()
    channel.queue_declare(queue="task_queue", durable=True, arguments=QUORUM)
    message = " ".join(args) or "Hello World!"
    channel.basic_publish(exchange="", routing_key="task_queue", body=message,
                          properties=pika.BasicProperties(delivery_mode=2))
    print(f" [x] Sent {message}", flush=True)
    connection.close()


def consume_queue(queue, auto_ack, args=None):
    connection = connect()
    channel = connection.channel()
    channel.queue_declare(queue=queue, durable=True, arguments=QUORUM)
    count = int(args[0]) if args else 1

    def callback(ch, method, properties, body):
        nonlocal count
        print(f" [x] Received {body.decode()}", flush=True)
        if not auto_ack:
            ch.basic_ack(delivery_tag=method.delivery_tag)
        count -= 1
        if count == 0:
            ch.stop_consuming()

    channel.basic_qos(prefetch_count=1)
    channel.basic_consume(queue=queue, on_message_callback=callback, auto_ack=auto_ack)
    print(" [*] Waiting for messages.", flush=True)
    channel.start_consuming()
    connection.close()


def emit(exchange, exchange_type, routing_key, message):
    connection = connect()
    channel = connection.channel()
    channel.exchange_declare(exchange=exchange, exchange_type=exchange_type)
    channel.basic_publish(exchange=exchange, routing_key=routing_key, body=message)
    print(f" [x] Sent {routing_key}:{message}", flush=True)
    connection.close()


def receive_logs(exchange, exchange_type, keys, count):
    connection = connect()
    channel = connection.channel()
    channel.exchange_declare(exchange=exchange, exchange_type=exchange_type)
    result = channel.queue_declare(queue="", exclusive=True)
    for key in keys:
        channel.queue_bind(exchange=exchange, queue=result.method.queue, routing_key=key)
    remaining = count

    def callback(ch, method, properties, body):
        nonlocal remaining
        print(f" [x] {method.routing_key}:{body.decode()}", flush=True)
        remaining -= 1
        if remaining == 0:
            ch.stop_consuming()

    channel.basic_consume(queue=result.method.queue, on_message_callback=callback, auto_ack=True)
    print(" [*] Waiting for logs.", flush=True)
    channel.start_consuming()
    connection.close()


def rpc_server(args):
    connection = connect()
    channel = connection.channel()
    channel.queue_declare(queue="rpc_queue", durable=True, arguments=QUORUM)

    def fib(n):
        a, b = 0, 1
        for _ in range(n):
            a, b = b, a + b
        return a

    def on_request(ch, method, props, body):
        n = int(body)
        ch.basic_publish(exchange="", routing_key=props.reply_to,
                         properties=pika.BasicProperties(correlation_id=props.correlation_id), body=str(fib(n)))
        ch.basic_ack(delivery_tag=method.delivery_tag)

    channel.basic_qos(prefetch_count=1)
    channel.basic_consume(queue="rpc_queue", on_message_callback=on_request)
    print(" [x] Awaiting RPC requests", flush=True)
    channel.start_consuming()


def rpc_client(args):
    connection = connect()
    channel = connection.channel()
    callback_queue = channel.queue_declare(queue="", exclusive=True).method.queue
    corr_id = str(uuid.uuid4())
    response = None

    def on_response(ch, method, props, body):
        nonlocal response
        if props.correlation_id == corr_id:
            response = body

    channel.basic_consume(queue=callback_queue, on_message_callback=on_response, auto_ack=True)
    channel.basic_publish(exchange="", routing_key="rpc_queue",
                          properties=pika.BasicProperties(reply_to=callback_queue, correlation_id=corr_id), body=args[0])
    connection.process_data_events(time_limit=None if response is None else 0)
    while response is None:
        connection.process_data_events(time_limit=1)
    print(f" [.] Got {response.decode()}", flush=True)
    connection.close()


# Delayed retry (apps/retry/src/topology.ts): the work queue and the parking lot, declared alike.
RETRY_WORK = {"x-queue-type": "quorum", "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "retry.wait.1s",
              "x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish", "x-delivery-limit": 5}
RETRY_PARKED = {"x-queue-type": "quorum", "x-delivery-limit": 1000000}


def retry_send(args):
    """retry_send MESSAGE_ID|- TEXT...: a persistent message for the retry worker (- : no message id)."""
    connection = connect()
    channel = connection.channel()
    channel.queue_declare(queue="retry.work", durable=True, arguments=RETRY_WORK)
    message_id = None if args[0] == "-" else args[0]
    message = " ".join(args[1:])
    channel.basic_publish(exchange="", routing_key="retry.work", body=message,
                          properties=pika.BasicProperties(delivery_mode=2, message_id=message_id))
    print(f" [x] Sent {message}", flush=True)
    connection.close()


def retry_parked(args):
    """retry_parked N: takes N messages from the parking lot, printing each one's id, reason and text."""
    connection = connect()
    channel = connection.channel()
    channel.queue_declare(queue="retry.parked", durable=True, arguments=RETRY_PARKED)
    remaining = int(args[0])

    def callback(ch, method, properties, body):
        nonlocal remaining
        reason = (properties.headers or {}).get("x-exception-message")
        print(f" [x] Parked {properties.message_id}: {reason}: {body.decode()}", flush=True)
        ch.basic_ack(delivery_tag=method.delivery_tag)
        remaining -= 1
        if remaining == 0:
            ch.stop_consuming()

    channel.basic_consume(queue="retry.parked", on_message_callback=callback)
    channel.start_consuming()
    connection.close()


ROLES = {
    "send": send,
    "receive": lambda args: consume_queue("hello", True, args),
    "new_task": new_task,
    "worker": lambda args: consume_queue("task_queue", False, args),
    "emit_log": lambda args: emit("logs", "fanout", "", " ".join(args)),
    "receive_logs": lambda args: receive_logs("logs", "fanout", [""], int(args[0])),
    "emit_log_direct": lambda args: emit("direct_logs", "direct", args[0], " ".join(args[1:])),
    "receive_logs_direct": lambda args: receive_logs("direct_logs", "direct", args[1:], int(args[0])),
    "emit_log_topic": lambda args: emit("topic_logs", "topic", args[0], " ".join(args[1:])),
    "receive_logs_topic": lambda args: receive_logs("topic_logs", "topic", args[1:], int(args[0])),
    "rpc_server": rpc_server,
    "rpc_client": rpc_client,
    "retry_send": retry_send,
    "retry_parked": retry_parked,
}

if __name__ == "__main__":
    ROLES[sys.argv[1]](sys.argv[2:])
