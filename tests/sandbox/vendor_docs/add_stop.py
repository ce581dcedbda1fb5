# ruff: noqa
# A simple script that allows you to start and stop recording sessions
def print_help():
    print(f"To start: {sys.argv[0]} add <camera-serial> <date>")
    print(f"To stop: {sys.argv[0]} stop <recording-session-id>")

def main():
    if len(sys.argv) < 2:
        print("Missing start/stop argument")
        return 1

    if sys.argv[1] == "start":
        if len(sys.argv) < 4:
            print("Missing camera-serial or date argument")
            return 1

        camera_id = camera_with_model_and_serial("REALSENSE_D435", sys.argv[2])
        now = datetime.now().strftime("%Y-%m-%dT%H:%M:%S")  # filled: the page kept only its end
        later = sys.argv[3]

        recording_session_id = insert_recording_session(now, later, "mysession")        
        record_id = insert_record(recording_session_id, camera_id)

        insert_stream(record_id, "color", "color", "HEVC", "1280", "720", "300", "1000", "1000000", "15")
        insert_stream(record_id, "depth", "color", "Classic", "1280", "720", "300", "1000", "5000000", "15")
        update_recording_session_state(recording_session_id, "Scheduled")

        print(f"Started a Recording Session with start date: {now} and end date {later}.")
        print("Note the recording session id to stop the session early:")
        print(recording_session_id)  # filled
    elif sys.argv[1] == "stop":
        if len(sys.argv) < 3:
            print("Missing recording-session-id argument")
            return 1
        update_recording_session_state(sys.argv[2], "Stopped")
    return 0

if __name__ == '__main__':
    sys.exit(main())  # filled
