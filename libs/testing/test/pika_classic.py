"""The classic (pre-quorum) Python tutorial programs, configured as many deployments of them are.

They declare what the classic tutorials declared: "hello" and "rpc_queue" transient, "task_queue"
durable, no x-queue-type argument. They connect to the vhost "demo" with the RABBITMQ_MASTER_*
variables. Used by the interoperability tests: `python3 pika_classic.py ROLE [ARGS...]`.
"""
import os
import sys
import time
import uuid

import pika


def connect():
    credentials = pika.PlainCredentials(os.environ.get("RABBITMQ_MASTER_USER", "guest"),
                                        os.environ.get("RABBITMQ_MASTER_PASS", "guest"))
    return pika.BlockingConnection(pika.ConnectionParameters(
        host=os.environ.get("RABBITMQ_MASTER_HOST", "localhost"),
        port=int(os.environ.get("RABBITMQ_MASTER_PORT", "5672")),
        virtual_host="demo", credentials=credentials))


def send(args):
    connection = connect()
    channel = connection.channel()
    channel.queue_declare(queue="hello")
    message = " ".join(args) or "Hello World!"
    channel.basic_publish(exchange="", routing_key="hello", body=message)
    print(f" [x] Sent '{message}'", flush=True)
    connection.close()


def new_task(args):
    connection = connect()
    channel = connection.channel()
    channel.queue_declare(queue="task_queue", durable=True)
    message = " ".join(args) or "Hello World!"
    channel.basic_publish(exchange="", routing_key="task_queue", body=message,
                          properties=pika.BasicProperties(delivery_mode=2))
    print(f" [x] Sent {message}", flush=True)
    connection.close()


def consume(queue, durable, auto_ack, count):
    connection = connect()
    channel = connection.channel()
    channel.queue_declare(queue=queue, durable=durable)
    remaining = count

    def callback(ch, method, properties, body):
        nonlocal remaining
        print(f" [x] Received {body.decode()}", flush=True)
        time.sleep(body.count(b".") / 100)
        if not auto_ack:
            ch.basic_ack(delivery_tag=method.delivery_tag)
        remaining -= 1
        if remaining == 0:
            ch.stop_consuming()

    channel.basic_qos(prefetch_count=1)
    channel.basic_consume(queue=queue, on_message_callback=callback, auto_ack=auto_ack)
    print(" [*] Waiting for messages. To exit press CTRL+C", flush=True)
    channel.start_consuming()
    connection.close()


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def rpc_server(args):
    connection = connect()
    channel = connection.channel()
    channel.queue_declare(queue="rpc_queue")

    def on_request(ch, method, props, body):
        ch.basic_publish(exchange="", routing_key=props.reply_to,
                         properties=pika.BasicProperties(correlation_id=props.correlation_id), body=str(fib(int(body))))
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
    while response is None:
        connection.process_data_events(time_limit=1)
    print(f" [.] Got {response.decode()}", flush=True)
    connection.close()


ROLES = {
    "send": send,
    "receive": lambda args: consume("hello", False, True, int(args[0])),
    "new_task": new_task,
    "worker": lambda args: consume("task_queue", True, False, int(args[0])),
    "rpc_server": rpc_server,
    "rpc_client": rpc_client,
}

if __name__ == "__main__":
    ROLES[sys.argv[1]](sys.argv[2:])
